// dependency-cruiser reporter for `npm run check:layers`: one line per violation, each cycle
// once (not once per import in it), then one summary line. In a cycle `~>` marks an `import type`.
// Exit code 1 when any violation has severity error.

const arrow = (types) => (types?.includes('type-only') ? ' ~> ' : ' -> ');

function cycleLine(violation) {
  // violation.cycle runs from the first import's target round to violation.from.
  const ring = violation.cycle;
  let start = 0;
  ring.forEach((step, i) => {
    if (step.name < ring[start].name) start = i;
  });
  const rotated = [...ring.slice(start), ...ring.slice(0, start)];
  const next = rotated.map((_, i) => rotated[(i + 1) % rotated.length]);
  return rotated[0].name + next.map((step) => arrow(step.dependencyTypes) + step.name).join('');
}

export default function report(result) {
  const order = new Map((result.summary.ruleSetUsed?.forbidden ?? []).map((rule, i) => [rule.name, i]));
  const seen = new Set();
  const rows = [];
  for (const violation of result.summary.violations) {
    if (violation.rule.severity === 'ignore') continue;
    const what = violation.cycle ? cycleLine(violation) : `${violation.from} -> ${violation.to}`;
    const key = `${violation.rule.name} ${what}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ rule: violation.rule.name, severity: violation.rule.severity, what });
  }
  rows.sort((a, b) => (order.get(a.rule) ?? 99) - (order.get(b.rule) ?? 99) || a.what.localeCompare(b.what));

  const counts = new Map();
  for (const row of rows) counts.set(row.rule, (counts.get(row.rule) ?? 0) + 1);
  const scope = `${result.summary.totalCruised} modules, ${result.summary.totalDependenciesCruised} dependencies`;
  const lines = rows.map((row) => `${row.severity === 'error' ? '' : `${row.severity} `}${row.rule}: ${row.what}`);
  lines.push(
    rows.length === 0
      ? `check:layers: no violations (${scope})`
      : `check:layers: ${rows.length} violation${rows.length === 1 ? '' : 's'} (${[...counts]
          .map(([rule, n]) => `${rule} ${n}`)
          .join(', ')}; ${scope})`,
  );
  return { output: `${lines.join('\n')}\n`, exitCode: rows.some((row) => row.severity === 'error') ? 1 : 0 };
}
