/**
 * Alert markers on the chart: each alert of a charted channel is a shaded span over the plot
 * from its start to its end (or now), with a solid strip along the top in its severity's colour,
 * drawn on uPlot's canvas after the series. Pure drawing; the alerts are fetched by the caller.
 */
import type uPlot from 'uplot';

export interface AlertMark {
  id: number;
  channel: number;
  since: number;
  /** null while it is firing */
  until: number | null;
  severity: 'info' | 'warning' | 'critical';
}

const COLOR: Record<AlertMark['severity'], string> = { info: '30, 110, 200', warning: '210, 130, 0', critical: '198, 40, 40' };

export function drawAlertMarkers(u: uPlot, marks: readonly AlertMark[], now: number): void {
  if (marks.length === 0) return;
  const { left, top, width, height } = u.bbox;
  const ctx = u.ctx;
  const strip = Math.max(3, Math.round(4 * devicePixelRatio));
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  for (const m of marks) {
    const x0 = Math.max(left, u.valToPos(m.since, 'x', true));
    const x1 = Math.min(left + width, u.valToPos(m.until ?? now, 'x', true));
    if (!(x1 >= left && x0 <= left + width)) continue;
    const w = Math.max(2, x1 - x0);
    ctx.fillStyle = `rgba(${COLOR[m.severity]}, 0.10)`;
    ctx.fillRect(x0, top, w, height);
    ctx.fillStyle = `rgba(${COLOR[m.severity]}, 0.85)`;
    ctx.fillRect(x0, top, w, strip);
  }
  ctx.restore();
}
