import { generateV2Response } from './src/dev/generate';
import { parseV2JobInstanceLog } from './src/bkjob/v2';
import { buildJobSummary } from './src/summary/build';
import { renderJobSummary } from './src/blocks/jobSummary';
const text = generateV2Response({ hosts: 100, steps: 20, logBytes: 2048, failingHosts: 3 });
function t<T>(name: string, f: () => T): T { for (let i = 0; i < 30; i++) f(); const s = performance.now(); let r!: T; for (let i = 0; i < 50; i++) r = f(); console.log(name, ((performance.now() - s) / 50).toFixed(2), 'ms'); return r; }
const body = t('JSON.parse', () => JSON.parse(text) as { data: unknown });
const job = t('parseV2', () => parseV2JobInstanceLog(body.data, { bizId: 1, jobInstanceId: 1 }, { defaultOffsetMinutes: 480 }));
const s = t('build', () => buildJobSummary(job));
t('render', () => renderJobSummary(s, { lang: 'en', offsetMinutes: 480, jobUrl: null, now: 0, watching: false }));
