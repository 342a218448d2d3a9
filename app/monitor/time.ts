/** Time as stored (docs/decisions/0003-money-and-time.md): ISO-8601 UTC with milliseconds. */
export function toDbTime(date: Date): string {
  return date.toISOString();
}

export function fromDbTime(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}
