export { createTestDatabase } from './database.ts';
export type { TestDatabase } from './database.ts';
export { waitFor } from './wait.ts';
export type { WaitOptions } from './wait.ts';
