/**
 * A stable construct id for a function, from its entry file:
 * `functions/catalog/list-products.ts` -> `CatalogListProducts`. Also the function's name in
 * metrics (`function_name` of ColdStart) and in alarm names.
 */
export function functionId(entry: string): string {
  return entry
    .replace(/^functions\//, '')
    .replace(/\.ts$/, '')
    .split(/[/-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
