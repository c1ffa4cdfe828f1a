import type { Component } from '../lifecycle/index.js';

/** A typed name for something one capability provides and others use (the fence catalogue, …). */
export interface Port<T> {
  readonly name: string;
  /** Never set: carries the type. */
  readonly type?: T;
}

export function port<T>(name: string): Port<T> {
  return Object.freeze({ name });
}

/** What a provider returns: the value, and the components that keep it up to date. */
export interface Provided<T> {
  value: T;
  components?: Component[];
}

export interface Provision<T = unknown, C = unknown> {
  readonly port: Port<T>;
  readonly make: (ctx: C) => Provided<T>;
}

export function provide<T, C>(p: Port<T>, make: (ctx: C) => Provided<T>): Provision<T, C> {
  return { port: p, make } as Provision<T, C>;
}
