/**
 * The jobs `nightshift run` executes, in order. Each capability adds its LocalJob here (one line).
 */
import type { LocalJob } from './jobs';

export const LOCAL_JOBS: LocalJob[] = [];
