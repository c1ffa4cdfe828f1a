import { readFileSync } from 'node:fs';
import { parseSessionsTsv, compareRecs, trainRecs } from './models/src/index.ts';
const d = '/work/shared/data/sessions/';
const all = parseSessionsTsv(readFileSync(d + 'rsc15_train_tr.tsv', 'utf8'));
const test = parseSessionsTsv(readFileSync(d + 'rsc15_train_valid.tsv', 'utf8'));
let s = performance.now();
const a = trainRecs(all); console.log('train', (performance.now()-s)/1000, a.weights, a.validation, JSON.stringify(a).length);
s = performance.now();
console.log(compareRecs(all, test), (performance.now()-s)/1000);
