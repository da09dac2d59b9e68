/**
 * Typed client for the server's HTTP API (`/api/v1`), served same-origin.
 * Types come from `@ma/protocol` as types only: nothing of the protocol package is bundled.
 */
import type {
  ChannelListResponse,
  ErrorResponse,
  NodeDetail,
  NodeListResponse,
  SeriesResponse,
} from '@ma/protocol';

export const API_BASE = '/api/v1';

/** An HTTP API call that failed: `status` is the HTTP status (0 when the request never got an answer). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isErrorResponse(body: unknown): body is ErrorResponse {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { headers: { accept: 'application/json' }, signal });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(`Cannot reach the server (${String(cause)})`, 0);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    if (isErrorResponse(body)) throw new ApiError(body.error.message, response.status, body.error.code);
    throw new ApiError(`${response.status} ${response.statusText} for ${path}`, response.status);
  }
  return body as T;
}

export function listNodes(signal?: AbortSignal): Promise<NodeListResponse> {
  return getJson('/nodes', signal);
}

export function getNode(name: string, signal?: AbortSignal): Promise<NodeDetail> {
  return getJson(`/nodes/${encodeURIComponent(name)}`, signal);
}

export function listChannels(node?: string, signal?: AbortSignal): Promise<ChannelListResponse> {
  return getJson(node === undefined ? '/channels' : `/channels?node=${encodeURIComponent(node)}`, signal);
}

export interface ReadingsQuery {
  channel: number;
  /** ms since the epoch */
  from: number;
  /** ms since the epoch */
  to: number;
  /** at most this many points (the server downsamples, preserving min/max) */
  points: number;
}

export function getReadings(query: ReadingsQuery, signal?: AbortSignal): Promise<SeriesResponse> {
  const params = new URLSearchParams({
    channel: String(query.channel),
    from: String(Math.floor(query.from)),
    to: String(Math.ceil(query.to)),
    points: String(Math.max(1, Math.round(query.points))),
  });
  return getJson(`/readings?${params.toString()}`, signal);
}
