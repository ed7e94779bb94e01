// The rules that are data, exported from sync/ by `python -m sync.rules` (one definition:
// the Python one). A test checks the committed JSON is a fresh export.
import rules from '../generated/rules.json' with { type: 'json' };

export default rules;
