// Compiled, never run (`npm run typecheck`): the client is typed by the API's paths and models.
import { createCashbackClient, unwrap, type Schemas } from "../src/index.js";

const api = createCashbackClient({ token: "cbk_agent_example" });

export async function typed(): Promise<string> {
  const page = await unwrap(api.POST("/search", { body: { keywords: "running shoes", limit: 5 } }));
  const first: Schemas["SearchResult"] | undefined = page.results[0];
  const products = await unwrap(api.GET("/catalog/products", { params: { query: { limit: 10 } } }));
  // @ts-expect-error: no such route
  await api.GET("/no/such/route");
  // @ts-expect-error: keywords is required
  await api.POST("/search", { body: { limit: 5 } });
  return `${first?.cashback_amount ?? ""} ${products.products.length}`;
}
