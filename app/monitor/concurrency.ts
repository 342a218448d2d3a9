/** The one bounded-concurrency helper of the monitor (jobs, the webhook worker, bulk actions). */

/**
 * Runs `worker` over `items` with at most `limit` at once. After a throw it hands out no more
 * items, waits for those in flight (nothing keeps working behind the caller's back), then rethrows.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  worker: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      while (next < items.length && !failure) {
        const index = next++;
        try {
          await worker(items[index]!, index);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw (failure as { error: unknown }).error;
}
