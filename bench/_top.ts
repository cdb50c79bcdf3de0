import fs from 'node:fs';
import { printTopFunctions } from './lib/profile';
printTopFunctions(JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')), 20);
