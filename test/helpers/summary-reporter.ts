import { writeFileSync } from 'node:fs';
import type { Reporter } from 'vitest/reporters';

type Task = { type: string; result?: { state?: string }; mode?: string; tasks?: Task[] };

/**
 * Ends the run with the plain `N passed, N failed` line that CI reads (vitest's own summary is
 * formatted for people), counting every test in every file.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: Task[] = []) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const walk = (task: Task) => {
      if (task.tasks) for (const child of task.tasks) walk(child);
      if (task.type !== 'test') return;
      if (task.result?.state === 'pass') passed += 1;
      else if (task.result?.state === 'fail') failed += 1;
      else skipped += 1;
    };
    for (const file of files) {
      walk(file);
      // A file that failed to load has no tests but must still fail the count.
      if (file.result?.state === 'fail' && !file.tasks?.length) failed += 1;
    }
    console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
    // scripts/test.sh runs the suite once per engine and adds the counts up at the end.
    const out = process.env.TEST_SUMMARY_FILE;
    if (out) writeFileSync(out, JSON.stringify({ passed, failed, skipped }));
  }
}
