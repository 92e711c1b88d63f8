/**
 * Convergence planning: what one pass should do, as data (DIEGO.md 3.3, 3.4). The LRP pass is
 * in `lrp-convergence.ts`, the Task pass in `task-convergence.ts`; each file's header tables its
 * cases. A convergence actor reads the rows, calls these, and performs the plan.
 */
export * from './lrp-convergence.js';
export * from './task-convergence.js';
