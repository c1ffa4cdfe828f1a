import jsep from 'jsep';
import { HexcastError } from '../errors/index.js';

/** What a rule may decide; the strongest hit wins (decline > review > approve). */
export type RuleAction = 'approve' | 'review' | 'decline';
export const ACTION_RANK: Readonly<Record<RuleAction, number>> = { approve: 0, review: 1, decline: 2 };

export interface RuleSpec {
  id: string;
  /** An expression over named values, e.g. `deviceDistinctCards >= 3 && amount < 5`. */
  when: string;
  action: RuleAction;
  /** Words for the reviewer; default: the rule's id and expression. */
  reason?: string;
}

/** A value an expression can read: a number, a string or a boolean. */
export type RuleValue = number | string | boolean;
export type RuleScope = Readonly<Record<string, RuleValue>>;

const BINARY = new Set(['+', '-', '*', '/', '%', '==', '!=', '<', '<=', '>', '>=', '&&', '||']);
const FUNCTIONS: Readonly<Record<string, (...args: RuleValue[]) => RuleValue>> = {
  min: (...a) => Math.min(...a.map(Number)),
  max: (...a) => Math.max(...a.map(Number)),
  abs: (x) => Math.abs(Number(x)),
  log1p: (x) => Math.log1p(Number(x)),
};

type Node = jsep.Expression;

/**
 * A merchant rule, parsed once: the expression is a small language — numbers, strings, `true` /
 * `false`, the names the scope offers, arithmetic, comparisons, `&&` `||` `!`, `x in [a, b]`,
 * and `min` `max` `abs` `log1p` — evaluated by walking its syntax tree. Nothing else parses (no
 * member access, no assignment, no other calls), and nothing is ever handed to `eval`.
 */
export class CompiledRule {
  readonly #ast: Node;

  constructor(
    readonly spec: RuleSpec,
    names: ReadonlySet<string>,
  ) {
    let ast: Node;
    try {
      ast = jsep(spec.when);
    } catch (cause) {
      throw invalid(spec, (cause as Error).message);
    }
    check(ast, spec, names);
    this.#ast = ast;
  }

  /** Whether the rule fires for `scope` (a non-boolean result is truthy or not). */
  test(scope: RuleScope): boolean {
    return Boolean(evaluate(this.#ast, scope));
  }
}

jsep.addBinaryOp('in', 7);

function check(node: Node, spec: RuleSpec, names: ReadonlySet<string>): void {
  switch (node.type) {
    case 'Literal':
      if (node.value instanceof RegExp || node.value === null)
        throw invalid(spec, 'only numbers and strings');
      return;
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      if (name === 'true' || name === 'false') return;
      if (!names.has(name)) throw invalid(spec, `unknown name ${name}`, { name });
      return;
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      if (!['-', '+', '!'].includes(u.operator)) throw invalid(spec, `operator ${u.operator} is not allowed`);
      check(u.argument, spec, names);
      return;
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      if (b.operator === 'in') {
        if (b.right.type !== 'ArrayExpression') throw invalid(spec, '`in` takes a list: x in ["a", "b"]');
      } else if (!BINARY.has(b.operator)) throw invalid(spec, `operator ${b.operator} is not allowed`);
      check(b.left, spec, names);
      check(b.right, spec, names);
      return;
    }
    case 'ArrayExpression':
      for (const e of (node as jsep.ArrayExpression).elements) {
        if (e === null) throw invalid(spec, 'a list has a hole');
        check(e, spec, names);
      }
      return;
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      for (const part of [c.test, c.consequent, c.alternate]) check(part, spec, names);
      return;
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      const name = call.callee.type === 'Identifier' ? (call.callee as jsep.Identifier).name : '';
      if (!Object.hasOwn(FUNCTIONS, name))
        throw invalid(spec, `function ${name || '(expression)'} is not allowed`);
      for (const a of call.arguments) check(a, spec, names);
      return;
    }
    default:
      throw invalid(spec, `${node.type} is not allowed`);
  }
}

function evaluate(node: Node, scope: RuleScope): RuleValue {
  switch (node.type) {
    case 'Literal':
      return (node as jsep.Literal).value as RuleValue;
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      if (name === 'true') return true;
      if (name === 'false') return false;
      return Object.hasOwn(scope, name) ? scope[name]! : 0;
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      const v = evaluate(u.argument, scope);
      return u.operator === '!' ? !v : u.operator === '-' ? -Number(v) : Number(v);
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      if (b.operator === '&&') return Boolean(evaluate(b.left, scope)) && Boolean(evaluate(b.right, scope));
      if (b.operator === '||') return Boolean(evaluate(b.left, scope)) || Boolean(evaluate(b.right, scope));
      const left = evaluate(b.left, scope);
      if (b.operator === 'in')
        return (b.right as jsep.ArrayExpression).elements.some((e) => evaluate(e!, scope) === left);
      const right = evaluate(b.right, scope);
      switch (b.operator) {
        case '==':
          return left === right;
        case '!=':
          return left !== right;
        case '<':
          return left < right;
        case '<=':
          return left <= right;
        case '>':
          return left > right;
        case '>=':
          return left >= right;
        case '+':
          return Number(left) + Number(right);
        case '-':
          return Number(left) - Number(right);
        case '*':
          return Number(left) * Number(right);
        case '/':
          return Number(right) === 0 ? 0 : Number(left) / Number(right);
        default:
          return Number(right) === 0 ? 0 : Number(left) % Number(right);
      }
    }
    case 'ConditionalExpression': {
      const c = node as jsep.ConditionalExpression;
      return evaluate(c.test, scope) ? evaluate(c.consequent, scope) : evaluate(c.alternate, scope);
    }
    case 'CallExpression': {
      const call = node as jsep.CallExpression;
      const fn = FUNCTIONS[(call.callee as jsep.Identifier).name]!;
      return fn(...call.arguments.map((a) => evaluate(a, scope)));
    }
    default:
      return false;
  }
}

function invalid(spec: RuleSpec, why: string, extra: Record<string, unknown> = {}): HexcastError {
  return new HexcastError('HX_FRAUD_RULE_INVALID', `rule ${spec.id}: ${why}`, {
    details: { rule: spec.id, when: spec.when, ...extra },
  });
}
