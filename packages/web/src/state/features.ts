/**
 * Which optional pages this server has (`GET /api/v1/features`). Until the answer arrives every optional
 * page is hidden; if it fails they stay hidden (the core pages never depend on it).
 */
import type { FeatureName, FeaturesResponse } from '@ma/protocol';
import { useEffect, useState } from 'preact/hooks';
import { getFeatures } from '../api/client';

export type Features = FeaturesResponse['features'];

const NONE: Features = { alerts: false, photos: false, access: false, users: false };
let cached: Features | null = null;
let loading: Promise<Features> | null = null;

function load(): Promise<Features> {
  loading ??= getFeatures()
    .then((r) => (cached = { ...NONE, ...r.features }))
    .catch(() => NONE);
  return loading;
}

export function useFeatures(): Features {
  const [features, setFeatures] = useState<Features>(cached ?? NONE);
  useEffect(() => {
    let live = true;
    void load().then((f) => live && setFeatures(f));
    return () => {
      live = false;
    };
  }, []);
  return features;
}

export const isEnabled = (features: Features, name: FeatureName | undefined): boolean => name === undefined || features[name];
