/** The node tags in use (`GET /api/v1/node-tags`), for tag pickers; empty until loaded or if it fails. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../auth/session';

export function useNodeTags(): string[] {
  const [tags, setTags] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    api<{ tags: Array<{ tag: string }> }>('GET', '/node-tags').then(
      (r) => live && setTags(r.tags.map((t) => t.tag)),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return tags;
}
