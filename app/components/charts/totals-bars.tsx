import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ChartCanvas } from './chart-canvas';

export type TotalItem = { key: string; label: string; value: number; color: string };

/** One bar per category (outcomes, delay buckets, flag kinds), horizontal or vertical. */
export function TotalsBars({
  id,
  items,
  height = 260,
  layout = 'horizontal',
  formatValue,
  formatTick,
  categoryWidth = 140,
}: {
  id: string;
  items: readonly TotalItem[];
  height?: number;
  /** `horizontal`: bars grow to the right, one row per category (long labels). */
  layout?: 'horizontal' | 'vertical';
  formatValue: (value: number) => string;
  formatTick: (value: number) => string;
  categoryWidth?: number;
}) {
  const data = items.map((i) => ({ ...i }));
  const rows = layout === 'horizontal';
  return (
    <ChartCanvas height={height}>
      {() => (
        <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 520, height }}>
          <BarChart
            id={id}
            data={data}
            layout={rows ? 'vertical' : 'horizontal'}
            margin={{ top: 8, right: 40, bottom: 0, left: 0 }}
          >
            <CartesianGrid horizontal={!rows} vertical={rows} stroke="#e5e8ec" />
            {rows ? (
              <>
                <XAxis
                  type="number"
                  tickFormatter={(v: number) => formatTick(v)}
                  allowDecimals={false}
                  tickLine={false}
                />
                <YAxis type="category" dataKey="label" width={categoryWidth} tickLine={false} interval={0} />
              </>
            ) : (
              <>
                <XAxis type="category" dataKey="label" tickLine={false} interval={0} />
                <YAxis
                  type="number"
                  tickFormatter={(v: number) => formatTick(v)}
                  width={52}
                  allowDecimals={false}
                  tickLine={false}
                  axisLine={false}
                />
              </>
            )}
            <Tooltip formatter={(v) => formatValue(Number(v))} cursor={{ fill: '#f0f2f5' }} />
            <Bar dataKey="value" isAnimationActive={false}>
              {data.map((item) => (
                <Cell key={item.key} fill={item.color} />
              ))}
              <LabelList
                dataKey="value"
                position={rows ? 'right' : 'top'}
                formatter={(v: unknown) => formatValue(Number(v))}
                style={{ fontSize: 11, fill: '#5b6470' }}
              />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartCanvas>
  );
}
