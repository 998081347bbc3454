// placeholder: the core lands in the next commit
export {};
