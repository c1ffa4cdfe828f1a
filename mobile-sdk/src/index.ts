// The public surface of @hexcast/mobile-sdk. It is empty until issue #7 (mobile SDK) lands;
// nothing here pretends to work before then.
export {};
