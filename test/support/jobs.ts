// Jobs as the config builds them (buildJob), every policy from the built-in
// defaults unless `fields` says otherwise: for tests that need JobConfig
// objects without writing a config file.
import { buildJob } from '../../src/config/build-job.js';
import { BUILTIN_JOB_DEFAULTS, type ParsedJob } from '../../src/config/schema.js';
import type { JobConfig } from '../../src/config/types.js';

export function testJob(name: string, fields: Partial<ParsedJob>): JobConfig {
  const parsed = { command: ['/bin/true'], ...fields } as ParsedJob;
  return buildJob(
    name,
    { file: '/etc/cronkeeper.yaml', line: 1, column: 1 },
    parsed,
    '/',
    BUILTIN_JOB_DEFAULTS,
  )!;
}
