/** Chart colours and fonts, read from the page's CSS custom properties so the canvas follows the theme. */
export interface ChartTheme {
  axis: string;
  grid: string;
  font: string;
}

export const darkSchemeQuery = (): MediaQueryList => matchMedia('(prefers-color-scheme: dark)');

export function readChartTheme(element: Element = document.documentElement): ChartTheme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  const family = getComputedStyle(document.body).fontFamily || 'system-ui, sans-serif';
  return {
    axis: read('--chart-axis', '#6b7280'),
    grid: read('--chart-grid', 'rgba(128,128,128,0.15)'),
    font: `12px ${family}`,
  };
}

let measureContext: CanvasRenderingContext2D | null = null;

/** Width in CSS pixels of the widest label, for sizing a y axis to its tick labels. */
export function measureLabels(labels: readonly string[], font: string): number {
  measureContext ??= document.createElement('canvas').getContext('2d');
  if (measureContext === null) return labels.reduce((w, l) => Math.max(w, l.length * 7), 0);
  measureContext.font = font;
  return labels.reduce((w, l) => Math.max(w, measureContext?.measureText(l).width ?? 0), 0);
}
