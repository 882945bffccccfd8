// Floor (a) of `npm run bench`: the smallest possible function. Its import time is what Node
// itself costs to load and evaluate one ESM bundle, with nothing of ours in it.
export const handler = async () => ({ statusCode: 200 });
