import { createHash } from 'node:crypto';
import { LOCAL_ACCOUNT } from '../account.ts';
import { errors } from './errors.ts';
import type { MessageAttributeValue, StoredMessage } from './queue.ts';

/** SQS's MD5 of message attributes: sorted names, length-prefixed name, type, transport byte, value. */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name] as MessageAttributeValue;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(value.DataType, 'utf8'));
    if (value.StringValue !== undefined) {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue, 'utf8'));
    } else if (value.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      lengthPrefixed(Buffer.from(value.BinaryValue, 'base64'));
    } else if (value.StringListValues) {
      hash.update(Buffer.from([3]));
      for (const item of value.StringListValues) lengthPrefixed(Buffer.from(item, 'utf8'));
    } else if (value.BinaryListValues) {
      hash.update(Buffer.from([4]));
      for (const item of value.BinaryListValues) lengthPrefixed(Buffer.from(item, 'base64'));
    }
  }
  return hash.digest('hex');
}

export const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** Characters SQS accepts in a message: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters SQS refuses.
export const INVALID_CHARACTERS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function validateMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  const entries = Object.entries(attributes ?? {});
  if (entries.length > 10)
    throw errors.invalidParameter('Number of message attributes [11] exceeds the allowed maximum [10].');
  for (const [name, value] of entries) {
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      /^(aws|amazon)\./i.test(name)
    ) {
      throw errors.invalidParameter(`Message attribute name '${name}' is invalid.`);
    }
    if (
      !value ||
      typeof value.DataType !== 'string' ||
      !/^(String|Number|Binary)(\..+)?$/.test(value.DataType)
    ) {
      throw errors.invalidParameter(
        `The message attribute '${name}' must contain a supported DataType (String, Number or Binary).`,
      );
    }
    const isBinary = value.DataType.startsWith('Binary');
    if (isBinary ? value.BinaryValue === undefined : value.StringValue === undefined) {
      throw errors.invalidParameter(
        `The message attribute '${name}' with type '${value.DataType}' must use field '${isBinary ? 'Binary' : 'String'}'.`,
      );
    }
    if (value.DataType.startsWith('Number') && !Number.isFinite(Number(value.StringValue))) {
      throw errors.invalidParameter(
        `Can't cast the value of message (user) attribute '${name}' to a number.`,
      );
    }
    result[name] = isBinary
      ? { DataType: value.DataType, BinaryValue: value.BinaryValue }
      : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return result;
}

export function attributesSize(attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size += value.StringValue !== undefined ? Buffer.byteLength(value.StringValue) : 0;
    size += value.BinaryValue !== undefined ? Buffer.from(value.BinaryValue, 'base64').length : 0;
  }
  return size;
}

export function integerParameter(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw errors.invalidParameter(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return value;
}

/** Which attribute names a request asks for (`All`, `.*`, a name, or a `prefix.*`). */
const wantedNames = (requested: unknown): ((name: string) => boolean) => {
  const names = Array.isArray(requested) ? (requested as string[]) : [];
  return (name) =>
    names.some(
      (wanted) =>
        wanted === 'All' ||
        wanted === '.*' ||
        wanted === name ||
        (wanted.endsWith('.*') && name.startsWith(wanted.slice(0, -1))),
    );
};

/** A stored message as ReceiveMessage answers it: the system and message attributes asked for. */
export const renderMessage = (message: StoredMessage, input: Record<string, unknown>) => {
  const systemWanted = wantedNames([
    ...((input.AttributeNames as string[] | undefined) ?? []),
    ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
  ]);
  const system: Record<string, string> = {
    SenderId: LOCAL_ACCOUNT,
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
  };
  const attributes = Object.fromEntries(Object.entries(system).filter(([name]) => systemWanted(name)));
  const attributeWanted = wantedNames(input.MessageAttributeNames);
  const messageAttributes = Object.fromEntries(
    Object.entries(message.messageAttributes).filter(([name]) => attributeWanted(name)),
  );
  const hasAttributes = Object.keys(messageAttributes).length > 0;
  return {
    MessageId: message.id,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    ...(hasAttributes
      ? {
          MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
          MessageAttributes: messageAttributes,
        }
      : {}),
  };
};

/** What SendMessage (and each entry of SendMessageBatch) answers. */
export const sendResult = (message: StoredMessage) => ({
  MD5OfMessageBody: message.md5OfBody,
  ...(Object.keys(message.messageAttributes).length > 0
    ? { MD5OfMessageAttributes: md5OfMessageAttributes(message.messageAttributes) }
    : {}),
  MessageId: message.id,
});
