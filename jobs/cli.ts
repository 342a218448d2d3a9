import { jobDefinitions } from './index';

/** Entry point for running jobs by hand (`node build/node/jobs/cli.js list`). */
function main(command: string | undefined) {
  if (command === 'list' || command === undefined) {
    const jobs = jobDefinitions();
    console.log(jobs.length ? jobs.map((j) => `${j.name}\t${j.schedule}`).join('\n') : 'no jobs defined');
    return;
  }
  console.error(`unknown command ${command}`);
  process.exitCode = 2;
}

main(process.argv[2]);
