export * from './load';
export * from './path';
export * from './primitives';
export * from './resolved';
export * from './schema';
export * from './validate';
