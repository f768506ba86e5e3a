// The cashback API for Node (>= 20): openapi-fetch over the types openapi-typescript generates from
// the API's OpenAPI document (src/schema.d.ts, `npm run generate`). This file adds what every call
// needs: the bearer token, the one error body as an exception, and the rate-limit retry the Python
// client has (a 429 is sent again after its Retry-After, a bounded number of times).
import createClient from "openapi-fetch";

export const DEFAULT_BASE_URL = "http://127.0.0.1:3000";

/** An API error: the status and the one error body ({"error": {code, message, details, request_id}}). */
export class CashbackApiError extends Error {
  constructor(status, body, response) {
    const detail = body && typeof body === "object" ? body.error : undefined;
    super(detail ? `${status} ${detail.code}: ${detail.message}` : `HTTP ${status}`);
    this.name = "CashbackApiError";
    this.status = status;
    this.body = detail ? body : undefined;
    this.code = detail?.code;
    this.details = detail?.details;
    this.requestId = detail?.request_id ?? response?.headers.get("X-Request-Id") ?? undefined;
    this.retryAfter = retryAfterSeconds(response?.headers);
  }
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); undefined when absent. */
export function retryAfterSeconds(headers) {
  const value = headers?.get("Retry-After");
  if (value == null || value === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** A fetch that sends a 429 again after its Retry-After, at most `maxRetries` times, never longer than `maxWait` s. */
export function retryingFetch({ fetch = globalThis.fetch, maxRetries = 2, maxWait = 60, onRetry } = {}) {
  return async (request) => {
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(attempt < maxRetries ? request.clone() : request);
      const wait = response.status === 429 ? retryAfterSeconds(response.headers) : undefined;
      if (wait === undefined || attempt >= maxRetries || wait > maxWait) return response;
      onRetry?.({ attempt: attempt + 1, wait, status: response.status });
      await response.body?.cancel();
      await sleep(wait);
    }
  };
}

/** An openapi-fetch client typed by the API's paths: `await api.GET("/health")`. */
export function createCashbackClient({
  baseUrl = DEFAULT_BASE_URL,
  token,
  maxRetries = 2,
  maxWait = 60,
  onRetry,
  fetch = globalThis.fetch,
} = {}) {
  const client = createClient({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    fetch: retryingFetch({ fetch, maxRetries, maxWait, onRetry }),
  });
  if (token) {
    client.use({
      onRequest({ request }) {
        request.headers.set("Authorization", `Bearer ${token}`);
        return request;
      },
    });
  }
  return client;
}

/** The data of a successful call, or a thrown CashbackApiError: `const page = await unwrap(api.POST(...))`. */
export async function unwrap(call) {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) throw new CashbackApiError(response.status, error, response);
  return data;
}
