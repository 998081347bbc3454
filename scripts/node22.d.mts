/** The absolute path of a Node.js 22 binary, installed into .cache/node22 on first use. */
export declare const node22: () => Promise<string>;
