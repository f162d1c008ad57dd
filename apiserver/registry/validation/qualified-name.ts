/**
 * Label key/value syntax (apimachinery IsQualifiedName, IsValidLabelValue). The
 * rules live once, in client/labels, because every component parses selectors.
 */
export { isLabelKey as isQualifiedName, isValidLabelValue } from '../../../client/labels/label-syntax.ts';
