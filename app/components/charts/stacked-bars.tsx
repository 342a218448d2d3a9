import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartCanvas } from './chart-canvas';

export type ChartSeries = { key: string; label: string; color: string };

/**
 * Values per bucket stacked by series (orders or amounts per day/hour by status), drawn in the
 * browser at an explicit height and the card's width (see ChartCanvas).
 */
export function StackedBars({
  id,
  data,
  series,
  height = 260,
  formatX,
  formatValue,
  formatTick,
}: {
  id: string;
  data: readonly Record<string, string | number>[];
  series: readonly ChartSeries[];
  height?: number;
  formatX: (bucket: string) => string;
  formatValue: (value: number) => string;
  formatTick: (value: number) => string;
}) {
  return (
    <ChartCanvas height={height}>
      {() => (
        <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 520, height }}>
          <BarChart
            id={id}
            data={data as Record<string, string | number>[]}
            margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
            barCategoryGap="12%"
          >
            <CartesianGrid vertical={false} stroke="#e5e8ec" />
            <XAxis dataKey="bucket" tickFormatter={(v: string) => formatX(v)} minTickGap={18} tickLine={false} />
            <YAxis
              tickFormatter={(v: number) => formatTick(v)}
              width={52}
              allowDecimals={false}
              tickLine={false}
              axisLine={false}
            />
            <Tooltip formatter={(v) => formatValue(Number(v))} labelFormatter={(v) => formatX(String(v))} />
            <Legend iconType="square" iconSize={10} wrapperStyle={{ fontSize: 12 }} />
            {series.map((s) => (
              <Bar
                key={s.key}
                dataKey={s.key}
                name={s.label}
                stackId="stack"
                fill={s.color}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartCanvas>
  );
}
