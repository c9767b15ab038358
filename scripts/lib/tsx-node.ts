/**
 * How one TypeScript CLI starts another: node with tsx's loader, one process. The `tsx` command
 * starts a second node for the script (about 0.4 s of CPU more per start, and the tests and
 * `npm run realdata` start dozens).
 */
export const TSX_LOADER = ['--import', 'tsx'] as const;
export const TSX_NODE = [process.execPath, ...TSX_LOADER] as const;
