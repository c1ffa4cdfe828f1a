// The public surface of @hexcast/simulator. It is empty until issue #8 (simulator) lands;
// nothing here pretends to work before then.
export {};
