/** A dependency-free SVG bar chart: pipeline throughput next to its DynamoDB floor, per scenario. */
export interface ChartBar {
  readonly label: string;
  readonly pipeline: number;
  readonly floor: number;
  readonly unit: string;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export const throughputChart = (bars: readonly ChartBar[], title: string): string => {
  const width = 760;
  const rowHeight = 56;
  const left = 170;
  const height = 60 + bars.length * rowHeight + 30;
  const max = Math.max(1, ...bars.flatMap((bar) => [bar.pipeline, bar.floor]));
  const scale = (value: number) => ((width - left - 120) * value) / max;
  const rows = bars
    .map((bar, index) => {
      const y = 50 + index * rowHeight;
      return [
        `<text x="10" y="${y + 22}" font-size="13">${escape(bar.label)}</text>`,
        `<rect x="${left}" y="${y + 4}" width="${scale(bar.pipeline).toFixed(1)}" height="18" fill="#2f6fdf"/>`,
        `<text x="${left + scale(bar.pipeline) + 6}" y="${y + 18}" font-size="12">${Math.round(bar.pipeline)} ${escape(bar.unit)} (hub)</text>`,
        `<rect x="${left}" y="${y + 26}" width="${scale(bar.floor).toFixed(1)}" height="18" fill="#9aa5b1"/>`,
        `<text x="${left + scale(bar.floor) + 6}" y="${y + 40}" font-size="12">${Math.round(bar.floor)} ${escape(bar.unit)} (floor)</text>`,
      ].join('\n');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="28" font-size="16" font-weight="bold">${escape(title)}</text>
${rows}
</svg>
`;
};
