/**
 * An in-memory DynamoDB for the commands the ack link and the acks use: GetItem, PutItem, UpdateItem,
 * BatchWriteItem. Condition and update expressions are parsed and evaluated for the subset DynamoDB
 * documents (attribute_exists / attribute_not_exists, = <> < <= > >=, AND, OR, NOT, parentheses;
 * SET a = :v, ADD a :n, REMOVE a), so the conditional updates the handler relies on run for real.
 * A failed condition throws ConditionalCheckFailedException with the old item when asked
 * (ReturnValuesOnConditionCheckFailure: ALL_OLD), like the service.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

export class FakeDynamo {
  readonly tables = new Map<string, Map<string, Item>>();
  /** Every command name received, in order. */
  readonly calls: string[] = [];
  /** Makes the next command of this name throw `error` (once). */
  private failures = new Map<string, Error>();

  constructor(private readonly keys: Record<string, string>) {}

  failNext(command: string, error: Error): void {
    this.failures.set(command, error);
  }

  table(name: string): Map<string, Item> {
    let table = this.tables.get(name);
    if (!table) {
      if (!this.keys[name]) throw new Error(`ResourceNotFoundException: no table ${name}`);
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  private keyOf(tableName: string, item: Item): string {
    const attr = this.keys[tableName];
    if (!attr) throw new Error(`ResourceNotFoundException: no table ${tableName}`);
    const value = item[attr]?.S;
    if (value === undefined) throw new Error(`ValidationException: key ${attr} missing`);
    return value;
  }

  item(table: string, key: string): Item | undefined {
    return this.table(table).get(key);
  }

  async send(command: unknown): Promise<unknown> {
    const name = (command as { constructor: { name: string } }).constructor.name;
    this.calls.push(name);
    const failure = this.failures.get(name);
    if (failure) {
      this.failures.delete(name);
      throw failure;
    }
    if (command instanceof GetItemCommand) {
      const { TableName, Key } = command.input;
      const item = this.table(TableName!).get(this.keyOf(TableName!, Key as Item));
      return { Item: item ? structuredClone(item) : undefined };
    }
    if (command instanceof PutItemCommand) {
      const { TableName, Item: item, ConditionExpression } = command.input;
      const key = this.keyOf(TableName!, item as Item);
      const old = this.table(TableName!).get(key);
      const values = (command.input.ExpressionAttributeValues ?? {}) as Item;
      const names = command.input.ExpressionAttributeNames ?? {};
      if (ConditionExpression && !evaluate(ConditionExpression, old ?? {}, values, names))
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
        });
      this.table(TableName!).set(key, structuredClone(item as Item));
      return {};
    }
    if (command instanceof BatchWriteItemCommand) {
      for (const [tableName, requests] of Object.entries(command.input.RequestItems ?? {})) {
        if (requests.length > 25) throw new Error('ValidationException: more than 25 requests');
        for (const request of requests) {
          const item = request.PutRequest?.Item as Item;
          this.table(tableName).set(this.keyOf(tableName, item), structuredClone(item));
        }
      }
      return { UnprocessedItems: {} };
    }
    if (command instanceof UpdateItemCommand) return this.update(command);
    throw new Error(`FakeDynamo does not implement ${name}`);
  }

  private update(command: UpdateItemCommand): unknown {
    const input = command.input;
    const tableName = input.TableName!;
    const key = this.keyOf(tableName, input.Key as Item);
    const table = this.table(tableName);
    const old = table.get(key);
    const values = (input.ExpressionAttributeValues ?? {}) as Item;
    const names = input.ExpressionAttributeNames ?? {};
    if (input.ConditionExpression && !evaluate(input.ConditionExpression, old ?? {}, values, names)) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        ...(input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old
          ? { Item: structuredClone(old) }
          : {}),
      });
    }
    const next: Item = structuredClone(old ?? (input.Key as Item));
    applyUpdate(input.UpdateExpression ?? '', next, values, names);
    table.set(key, next);
    return input.ReturnValues === 'ALL_NEW' ? { Attributes: structuredClone(next) } : {};
  }
}

// -- expressions ---------------------------------------------------------------------------------

type Token = string;

function tokenize(text: string): Token[] {
  return text.match(/attribute_not_exists|attribute_exists|<>|<=|>=|[()=<>,]|[:#]?[A-Za-z0-9_]+/g) ?? [];
}

function scalar(value: AttributeValue | undefined): string | number | undefined {
  if (!value) return undefined;
  if (value.N !== undefined) return Number(value.N);
  if (value.S !== undefined) return value.S;
  return JSON.stringify(value);
}

function evaluate(expression: string, item: Item, values: Item, names: Record<string, string>): boolean {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++] ?? '';
  const attr = (token: string) => names[token] ?? token;
  const operand = (token: string) =>
    token.startsWith(':') ? scalar(values[token]) : scalar(item[attr(token)]);

  const primary = (): boolean => {
    const token = next();
    if (token === '(') {
      const value = or();
      next(); // ')'
      return value;
    }
    if (token === 'NOT') return !primary();
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      next(); // (
      const name = attr(next());
      next(); // )
      return token === 'attribute_exists' ? item[name] !== undefined : item[name] === undefined;
    }
    const op = next();
    const left = operand(token);
    const right = operand(next());
    if (left === undefined || right === undefined) return false;
    switch (op) {
      case '=':
        return left === right;
      case '<>':
        return left !== right;
      case '<':
        return left < right;
      case '<=':
        return left <= right;
      case '>':
        return left > right;
      case '>=':
        return left >= right;
      default:
        throw new Error(`FakeDynamo: operator ${op} in "${expression}"`);
    }
  };
  const and = (): boolean => {
    let value = primary();
    while (peek() === 'AND') {
      next();
      const right = primary();
      value = value && right;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (peek() === 'OR') {
      next();
      const right = and();
      value = value || right;
    }
    return value;
  };
  return or();
}

function applyUpdate(expression: string, item: Item, values: Item, names: Record<string, string>): void {
  const clauses = expression.split(/\b(?=SET |ADD |REMOVE )/);
  for (const clause of clauses) {
    const [verb, ...rest] = clause.trim().split(/\s+/);
    const body = rest.join(' ');
    const attr = (token: string) => names[token] ?? token;
    for (const part of body
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      if (verb === 'SET') {
        const [name, value] = part.split('=').map((p) => p.trim());
        item[attr(name!)] = structuredClone(values[value!]!);
      } else if (verb === 'ADD') {
        const [name, value] = part.split(/\s+/);
        const current = Number(item[attr(name!)]?.N ?? 0);
        item[attr(name!)] = { N: String(current + Number(values[value!]?.N)) };
      } else if (verb === 'REMOVE') {
        delete item[attr(part)];
      } else {
        throw new Error(`FakeDynamo: update "${expression}"`);
      }
    }
  }
}
