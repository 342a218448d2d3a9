import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartCanvas } from './chart-canvas';
import { SERIES_COLORS } from './palette';

/** `open` null: a bucket after now, where the line stops (recharts leaves a gap). */
export type BacklogPoint = { bucket: string; open: number | null; opened: number; resolved: number };

/** Open reasons at the end of each bucket (line) with the reasons opened and resolved in it (bars). */
export function BacklogChart({
  id,
  data,
  labels,
  height = 260,
  formatX,
  formatValue,
  formatTick,
}: {
  id: string;
  data: readonly BacklogPoint[];
  labels: { open: string; opened: string; resolved: string };
  height?: number;
  formatX: (bucket: string) => string;
  formatValue: (value: number) => string;
  formatTick: (value: number) => string;
}) {
  return (
    <ChartCanvas height={height}>
      {() => (
        <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 520, height }}>
          <ComposedChart id={id} data={data as BacklogPoint[]} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
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
            <Legend iconSize={10} wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="opened" name={labels.opened} fill={SERIES_COLORS.opened} isAnimationActive={false} />
            <Bar dataKey="resolved" name={labels.resolved} fill={SERIES_COLORS.resolved} isAnimationActive={false} />
            <Line
              dataKey="open"
              name={labels.open}
              type="monotone"
              stroke={SERIES_COLORS.open}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          </ComposedChart>
        </ResponsiveContainer>
      )}
    </ChartCanvas>
  );
}
