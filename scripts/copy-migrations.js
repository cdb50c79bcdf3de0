// The production build needs the SQL migrations beside it (applied at start).
import fs from 'node:fs';

fs.cpSync('src/lib/server/db/migrations', 'build/migrations', { recursive: true });
