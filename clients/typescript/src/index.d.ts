// Types of src/index.js; the API's own types are generated into src/schema.d.ts.
import type { Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

/** The one error body every 4xx and 5xx of the API carries. */
export type ErrorBody = components["schemas"]["ErrorBody"];
export type Schemas = components["schemas"];
export type CashbackClient = Client<paths>;

export declare const DEFAULT_BASE_URL: string;

export interface RetryInfo {
  attempt: number;
  wait: number;
  status: number;
}

export interface RetryOptions {
  fetch?: (request: Request) => Promise<Response>;
  /** how many times a 429 is sent again (default 2) */
  maxRetries?: number;
  /** the longest Retry-After, in seconds, worth waiting for (default 60) */
  maxWait?: number;
  onRetry?: (info: RetryInfo) => void;
}

export interface CashbackClientOptions extends RetryOptions {
  /** default http://127.0.0.1:3000 */
  baseUrl?: string;
  /** an agent token (cbk_agent_...) or an admin key (cbk_admin_...) */
  token?: string;
}

export declare class CashbackApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody | undefined;
  readonly code: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly requestId: string | undefined;
  readonly retryAfter: number | undefined;
  constructor(status: number, body: unknown, response?: Response);
}

export declare function retryAfterSeconds(headers: Headers | undefined): number | undefined;
export declare function retryingFetch(options?: RetryOptions): (request: Request) => Promise<Response>;
export declare function createCashbackClient(options?: CashbackClientOptions): CashbackClient;
export declare function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T>;
