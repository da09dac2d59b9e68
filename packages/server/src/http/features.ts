import type { FeaturesResponse } from '@ma/protocol';

/**
 * What this server build offers, served at `GET /api/v1/features`. The dashboard shows the
 * Alerts, Photos, Access and Users pages only when their flag is true: the issue that builds a
 * feature turns its flag on here, in the same change as the server side.
 */
export const SERVER_FEATURES: FeaturesResponse['features'] = {
  alerts: true,
  photos: false,
  access: true,
  users: true,
};
