import { getProducts, releaseStock, reserveStock, type VersionedProduct } from '../catalog/store.ts';
import { type FieldError, InsufficientStock, RuleViolation } from '../core/domain-errors.ts';
import type { CreateOrderInput, OrderLine } from './model.ts';

/*
 * The stock an order holds: reserved in the order's own transaction when it is placed, given
 * back in the transaction that cancels or expires it. The product items and their key
 * templates belong to the catalog store; this module decides which lines move how much.
 */

type RequestedLine = CreateOrderInput['items'][number];

/** The order cannot be placed as asked (422). */
export const unprocessable = (detail: string, errors?: readonly FieldError[]): RuleViolation =>
  new RuleViolation('unprocessable-order', detail, errors ? { errors } : {});

/** The order names products that do not exist (or no longer), line by line (422). */
export const productsGone = (input: CreateOrderInput, lines: readonly RequestedLine[]): RuleViolation =>
  unprocessable(
    'Some products do not exist (any more).',
    lines.map((line) => ({
      path: `body.items.${input.items.indexOf(line)}.productId`,
      message: `No product ${line.productId}.`,
    })),
  );

/**
 * The transaction items that take every line's quantity out of stock, each only if that much
 * is there and the product is still the version the order was priced from.
 */
export function reserveLines(
  input: CreateOrderInput,
  products: ReadonlyMap<string, VersionedProduct>,
): ReturnType<typeof reserveStock>[] {
  return input.items.map((line) =>
    reserveStock(line.productId, line.quantity, (products.get(line.productId) as VersionedProduct).version),
  );
}

/**
 * Why the reservations of a cancelled order transaction failed, given the transaction's
 * cancellation reasons and the index of the first reservation in it: a product deleted
 * meanwhile (as if unknown from the start) or lines short of stock (naming them).
 * Undefined when neither: a product changed between the read and the write, so price again.
 */
export function reservationProblem(
  error: unknown,
  input: CreateOrderInput,
  firstReservation: number,
): RuleViolation | InsufficientStock | undefined {
  const reasons = (
    error as { CancellationReasons?: { Code?: string; Item?: Record<string, { N?: string }> }[] }
  ).CancellationReasons;
  const reason = (i: number) => reasons?.[firstReservation + i];
  const failedLine = (i: number) => reason(i)?.Code === 'ConditionalCheckFailed';
  const gone = input.items.filter((_, i) => failedLine(i) && !reason(i)?.Item);
  if (gone.length > 0) return productsGone(input, gone);
  const short = input.items.filter(
    (line, i) => failedLine(i) && Number(reason(i)?.Item?.stock?.N ?? 0) < line.quantity,
  );
  if (short.length === 0) return undefined;
  return new InsufficientStock(
    short.map((line) => ({
      path: `body.items.${input.items.indexOf(line)}.quantity`,
      message: `Not enough stock of ${line.productId}.`,
    })),
  );
}

/**
 * The transaction items that put an order's lines back into stock. Lines whose product was
 * deleted are left out: a deleted product has no stock to return to.
 */
export async function releaseLines(lines: readonly OrderLine[]): Promise<ReturnType<typeof releaseStock>[]> {
  const existing = await getProducts(lines.map((line) => line.productId));
  return lines
    .filter((line) => existing.has(line.productId))
    .map((line) => releaseStock(line.productId, line.quantity));
}
