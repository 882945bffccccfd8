/** The error shapes SQS answers in its JSON protocol; the SDK maps them to exception classes. */
export class SqsError extends Error {
  readonly type: string;
  /** The `x-amzn-query-error` code (what SQS's query protocol called the error). */
  readonly queryCode: string;
  readonly status: number;
  readonly fault: 'Sender' | 'Receiver';

  constructor(
    type: string,
    queryCode: string,
    message: string,
    status = 400,
    fault: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.type = type;
    this.queryCode = queryCode;
    this.status = status;
    this.fault = fault;
  }
}

export const errors = {
  queueDoesNotExist: () =>
    new SqsError(
      'QueueDoesNotExist',
      'AWS.SimpleQueueService.NonExistentQueue',
      'The specified queue does not exist.',
    ),
  invalidParameter: (message: string) =>
    new SqsError('InvalidParameterValueException', 'InvalidParameterValue', message),
  missingParameter: (name: string) =>
    new SqsError(
      'MissingRequiredParameterException',
      'MissingParameter',
      `The request must contain the parameter ${name}.`,
    ),
  fifoNotEmulated: () =>
    new SqsError(
      'UnsupportedOperation',
      'AWS.SimpleQueueService.UnsupportedOperation',
      'FIFO queues are not emulated by the local SQS.',
    ),
  unknownAttribute: (name: string) =>
    new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`),
  receiptHandleIsInvalid: (handle: string) =>
    new SqsError(
      'ReceiptHandleIsInvalid',
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
      404,
    ),
};
