import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dashboardBench } from './dashboard.js';
const dir = process.env.DIR ?? (await mkdtemp(path.join(tmpdir(), 'dash-')));
console.log(dir);
console.log(JSON.stringify(await dashboardBench(dir, Number(process.env.N ?? 100000))));
