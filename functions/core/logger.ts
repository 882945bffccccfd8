import { Logger } from '@aws-lambda-powertools/logger';
import { installSourceMappedStacks } from './stack-traces.ts';

// Before anything can log an error: stacks name source files, not bundle offsets.
installSourceMappedStacks();

/** The one logger of a function instance; service name and level come from the function's environment. */
export const logger = new Logger();
