// Validates Gateway API objects with the validators that @kubernetes-models/gateway-api generates from the
// Gateway API Go types (enums, patterns, bounds, required fields). Used by tests/gates/crd_schemas.py.
// stdin: a JSON array of objects. stdout: a JSON array, per object null (kind unknown here) or a list of problems.
const GROUPS = new Set(["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"]);

async function model(apiVersion, kind) {
  const [group, version] = apiVersion.split("/");
  if (!GROUPS.has(group) || !/^[A-Za-z]+$/.test(kind) || !/^v[0-9a-z]+$/.test(version ?? "")) return null;
  try {
    const module = await import(`@kubernetes-models/gateway-api/${group}/${version}/${kind}`);
    return module[kind] ?? null;
  } catch {
    return null;
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const results = [];
for (const document of JSON.parse(Buffer.concat(chunks).toString("utf8"))) {
  const Model = await model(document.apiVersion ?? "", document.kind ?? "");
  if (Model === null) {
    results.push(null);
    continue;
  }
  try {
    new Model(document).validate();
    results.push([]);
  } catch (error) {
    const details = error.errors ?? error.details ?? [];
    results.push(
      details.length
        ? details.map((e) => `${e.message}${e.params ? " " + JSON.stringify(e.params) : ""} at ${e.instancePath || "/"}`)
        : [String(error.message ?? error)],
    );
  }
}
process.stdout.write(JSON.stringify(results));
