/**
 * Typed client for the server's HTTP API (`/api/v1`), served same-origin.
 * Types come from `@ma/protocol` as types only: nothing of the protocol package is bundled.
 */
import type {
  ChannelListResponse,
  ChannelSummary,
  ErrorResponse,
  FeaturesResponse,
  NodeConnectionsResponse,
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

async function getJson<T>(path: string, signal?: AbortSignal, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { ...init, headers: { accept: 'application/json', ...init.headers }, signal });
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

export function getFeatures(signal?: AbortSignal): Promise<FeaturesResponse> {
  return getJson('/features', signal);
}

/** `to` left out means "now" on the server's clock, so a transition that just happened is included. */
export function getConnections(node: string, from: number, to: number | null, signal?: AbortSignal): Promise<NodeConnectionsResponse> {
  const end = to === null ? '' : `&to=${Math.ceil(to)}`;
  return getJson(`/nodes/${encodeURIComponent(node)}/connections?from=${Math.floor(from)}${end}`, signal);
}

/** Sets a channel's label (null: back to the agent's). `token` is an admin API token until sessions exist. */
export function setChannelLabel(id: number, label: string | null, token: string | null): Promise<ChannelSummary> {
  return getJson(`/channels/${id}`, undefined, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ label }),
  });
}

export interface CsvQuery {
  channels: readonly number[];
  from: number;
  to: number;
  /** every stored reading, or `points` min/max/avg buckets per channel */
  raw: boolean;
  points: number;
}

/** URL of `GET /api/v1/readings.csv` for a chart's channels and window (a plain link downloads it). */
export function readingsCsvUrl(query: CsvQuery): string {
  const params = new URLSearchParams();
  for (const id of query.channels) params.append('channel', String(id));
  params.set('from', String(Math.floor(query.from)));
  params.set('to', String(Math.ceil(query.to)));
  if (query.raw) params.set('raw', '1');
  else params.set('points', String(Math.max(2, Math.min(10_000, Math.round(query.points)))));
  return `${API_BASE}/readings.csv?${params.toString()}`;
}
