// The public surface of @hexcast/models. It is empty until issue #6 (offer engine's propensity model) lands;
// nothing here pretends to work before then.
export {};
