import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger of a function instance; service name and level come from the function's environment. */
export const logger = new Logger();
