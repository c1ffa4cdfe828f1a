// The public surface of @hexcast/edge-gateway. It is empty until issue #5 (edge gateway) lands;
// nothing here pretends to work before then.
export {};
