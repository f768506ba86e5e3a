// The TypeScript client against the local API: CASHBACK_API_URL (and CASHBACK_ADMIN_KEY, an admin key
// with catalog:read) come from tests/client/test_typescript.py, which starts the API. The retry tests
// need no server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CashbackApiError, createCashbackClient, retryingFetch, unwrap } from "../src/index.js";

const baseUrl = process.env.CASHBACK_API_URL;
const adminKey = process.env.CASHBACK_ADMIN_KEY;
const needsApi = { skip: baseUrl ? false : "CASHBACK_API_URL is not set (tests/client/test_typescript.py sets it)" };

describe("against the local API", needsApi, () => {
  it("reads the health check", async () => {
    const health = await unwrap(createCashbackClient({ baseUrl }).GET("/health"));
    assert.equal(health.status, "ok");
  });

  it("registers an agent whose token searches, with money as decimal strings", async () => {
    const registered = await unwrap(createCashbackClient({ baseUrl }).POST("/agents", { body: { agent_name: "ts-client" } }));
    assert.match(registered.token, /^cbk_agent_/);
    const agent = createCashbackClient({ baseUrl, token: registered.token });

    const page = await unwrap(agent.POST("/search", { body: { keywords: "running shoes", limit: 3 } }));

    assert.ok(page.results.length > 0);
    assert.equal(typeof page.results[0].price, "string");
    assert.match(page.results[0].cashback_amount, /^\d+\.\d{2}$/);
    const profile = await unwrap(agent.GET("/agents/{agent_id}", { params: { path: { agent_id: registered.agent_id } } }));
    assert.equal(profile.agent_name, "ts-client");
  });

  it("throws the one error body as a CashbackApiError with its code and request id", async () => {
    const anonymous = createCashbackClient({ baseUrl });

    await assert.rejects(unwrap(anonymous.POST("/search", { body: { keywords: "tent" } })), (error) => {
      assert.ok(error instanceof CashbackApiError);
      assert.equal(error.status, 401);
      assert.equal(error.code, "UNAUTHORIZED");
      assert.ok(error.requestId);
      return true;
    });
  });

  it("a validation error is a 400 with a stable code", async () => {
    const registered = await unwrap(createCashbackClient({ baseUrl }).POST("/agents", { body: { agent_name: "ts-bad" } }));
    const agent = createCashbackClient({ baseUrl, token: registered.token });

    await assert.rejects(unwrap(agent.POST("/search", { body: { keywords: "tent", limit: 500 } })), (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.code, "INVALID_VALUE");
      assert.equal(error.body.error.code, "INVALID_VALUE");
      return true;
    });
  });

  it("an admin key lists the catalog's products page by page", { skip: adminKey ? false : "no CASHBACK_ADMIN_KEY" }, async () => {
    const admin = createCashbackClient({ baseUrl, token: adminKey });
    const first = await unwrap(admin.GET("/catalog/products", { params: { query: { limit: 1 } } }));
    assert.equal(first.products.length, 1);
    assert.ok(first.next_cursor);

    const second = await unwrap(
      admin.GET("/catalog/products", { params: { query: { limit: 1, cursor: first.next_cursor } } }),
    );

    assert.ok(second.products[0].product_id > first.products[0].product_id);
  });
});

describe("rate limits", () => {
  const tooMany = (retryAfter) =>
    new Response(JSON.stringify({ error: { code: "RATE_LIMITED", message: "slow down", request_id: "r-1" } }), {
      status: 429,
      headers: { "Retry-After": retryAfter, "Content-Type": "application/json" },
    });

  it("sends a 429 again after its Retry-After", async () => {
    const answers = [tooMany("0"), new Response(JSON.stringify({ status: "ok" }), { status: 200 })];
    const bodies = [];
    const fetch = async (request) => {
      bodies.push(await request.text());
      return answers.shift();
    };
    const retries = [];
    const send = retryingFetch({ fetch, onRetry: (info) => retries.push(info) });

    const response = await send(new Request("http://api.test/search", { method: "POST", body: '{"keywords":"tent"}' }));

    assert.equal(response.status, 200);
    assert.deepEqual(bodies, ['{"keywords":"tent"}', '{"keywords":"tent"}']);
    assert.deepEqual(retries, [{ attempt: 1, wait: 0, status: 429 }]);
  });

  it("gives up after maxRetries and reports the 429 as RATE_LIMITED", async () => {
    let calls = 0;
    const api = createCashbackClient({
      baseUrl: "http://api.test",
      maxRetries: 1,
      fetch: async () => {
        calls += 1;
        return tooMany("0");
      },
    });

    await assert.rejects(unwrap(api.GET("/health")), (error) => {
      assert.equal(error.code, "RATE_LIMITED");
      assert.equal(error.retryAfter, 0);
      return true;
    });
    assert.equal(calls, 2);
  });

  it("does not wait for a Retry-After longer than maxWait", async () => {
    let calls = 0;
    const send = retryingFetch({ maxWait: 5, fetch: async () => ((calls += 1), tooMany("3600")) });

    const response = await send(new Request("http://api.test/health"));

    assert.equal(response.status, 429);
    assert.equal(calls, 1);
  });
});
