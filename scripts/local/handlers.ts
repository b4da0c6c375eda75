/** Loads the handler modules named in the function definitions, exactly the files Lambda bundles. */
import { resolve } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FunctionDefinition } from '../../functions/shared/definitions/functions';

export type HttpLambda = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
export type SqsLambda = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

const root = resolve(__dirname, '..', '..');

export const loadHandler = async <T>(definition: FunctionDefinition): Promise<T> => {
  const module = (await import(resolve(root, definition.entry))) as { handler?: T };
  if (!module.handler) throw new Error(`${definition.entry} exports no handler`);
  return module.handler;
};
