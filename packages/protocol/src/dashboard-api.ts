/**
 * HTTP shapes the dashboard needs beyond nodes, channels and readings: feature flags, a node's
 * connection history, editing a channel's label. snake_case on the wire, times in ms since the epoch.
 */

/**
 * Which optional parts of the product this server has. The dashboard shows a page (and its nav
 * entry) only when its flag is true, so a page can ship before or after its server feature.
 */
export interface FeaturesResponse {
  features: {
    alerts: boolean;
    photos: boolean;
    access: boolean;
    users: boolean;
  };
}

export type FeatureName = keyof FeaturesResponse['features'];

/** One stretch of time a node was online or offline; `to` is null while it lasts. */
export interface ConnectionInterval {
  online: boolean;
  from: number;
  to: number | null;
}

/** `GET /api/v1/nodes/:node/connections?from&to`: intervals clipped to [from, to), oldest first. */
export interface NodeConnectionsResponse {
  node: string;
  from: number;
  to: number;
  intervals: ConnectionInterval[];
}

/** `PATCH /api/v1/channels/:id`: `label` null (or empty) returns to the agent's label. */
export interface UpdateChannelRequest {
  label: string | null;
}
