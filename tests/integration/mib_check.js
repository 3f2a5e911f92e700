// A second SNMP stack's look at one of the agent's MIB modules: the npm
// package net-snmp (its own BER codec and MIB parser, nothing shared with
// net-snmp in C) loads the module text, walks the module's subtree with
// GetBulk and checks every varbind against the module's words:
//  - its SYNTAX: the ASN.1 type on the wire, ranges, sizes, enumerations,
//    the named bits of a BITS value, the index sub-identifiers;
//  - the promises its DESCRIPTION clauses (the object's or its textual
//    convention's) make in a form a walk can check:
//      "LABEL(N) is not served by this version"  N is never served
//      "never serve the zero-length value"       no empty value
//      "always valid UTF-8" / SnmpAdminString    valid UTF-8, and no NUL
//                                                where NUL is "replaced"
//      "Saturates at N"                          no value above N
//    and for a UUID (RFC 4122) of 16 octets, its version nibble.
//
// Usage: node mib_check.js NET_SNMP_MODULE_DIR MODULE MODULE_FILE HOST PORT
//            [IMPORT_FILE...] [--require NAME,NAME...]
// Prints "ok - ..." and "FAIL - ..." lines, then "promises N" (the
// clauses found and checked), "rows TABLE N" for each table and
// "instances N"; exits 1 when a check failed.
"use strict";
const fs = require("fs");

const args = process.argv.slice(2);
const reqAt = args.indexOf("--require");
const required = reqAt >= 0 ? args.splice(reqAt, 2)[1].split(",") : [];
const [moduleDir, moduleName, moduleFile, host, port, ...imports] = args;
const snmp = require(moduleDir);

let fails = 0;
const ok = (what) => console.log("ok - " + what);
const fail = (what) => { fails++; console.log("FAIL - " + what); };

const store = snmp.createModuleStore();
for (const f of imports)
	store.loadFromFile(f);
store.loadFromFile(moduleFile);
const providers = store.getProvidersForModule(moduleName);
const mib = store.getModule(moduleName);
if (!mib || !providers.length) {
	fail(`${moduleName}: not loaded from ${moduleFile}`);
	process.exit(1);
}

// The DESCRIPTION of every textual convention, read from the module text
// (the parser keeps none for a TC).
const tcText = new Map();
for (const f of [...imports, moduleFile]) {
	const text = fs.readFileSync(f, "utf8");
	const re = /^(\w[\w-]*)\s*::=\s*TEXTUAL-CONVENTION[\s\S]*?DESCRIPTION\s*"([^"]*)"/gm;
	let m;
	while ((m = re.exec(text)) !== null)
		tcText.set(m[1], m[2]);
}
const squash = (s) => (s || "").replace(/\s+/g, " ");

// An object's own refinement of its syntax (XenUuidOrZero (SIZE (16))),
// read from the module text: the parser keeps only the TC's.
const refined = new Map();
{
	const parseList = (list) => list.split("|").map((r) => {
		const [a, b] = r.trim().split("..").map(Number);
		return { min: a, max: b === undefined ? a : b };
	});
	const text = fs.readFileSync(moduleFile, "utf8");
	const re = /^(\w+)\s+OBJECT-TYPE\s+SYNTAX\s+([^\n]*)/gm;
	let m;
	while ((m = re.exec(text)) !== null) {
		const size = /\(\s*SIZE\s*\(([^)]*)\)\s*\)/.exec(m[2]);
		const range = !size && /^\w[\w-]*\s*\(([-0-9. |]+)\)/.exec(m[2]);
		if (size)
			refined.set(m[1], { sizes: parseList(size[1]) });
		else if (range)
			refined.set(m[1], { ranges: parseList(range[1]) });
	}
}
const constraintsOf = (name, c) => refined.has(name) ? Object.assign({}, c, refined.get(name)) : c;

// The promises of one object: its own DESCRIPTION and its TC's.
let promiseCount = 0;
function promisesOf(name) {
	const def = mib[name] || {};
	const tc = typeof def.SYNTAX === "string" ? def.SYNTAX : "";
	const text = squash(def.DESCRIPTION) + " " + squash(tcText.get(tc));
	const p = { notServed: [], noEmpty: false, utf8: false, noNul: false, max: null,
		    bits: null, uuid: /UUID/.test(tc) };
	let m;
	const re = /\b\w+\((\d+)\) is not served by this version/g;
	while ((m = re.exec(text)) !== null)
		p.notServed.push(Number(m[1]));
	p.noEmpty = /never serve the zero-length value/.test(text);
	p.utf8 = tc === "SnmpAdminString" || /always valid UTF-8/.test(text);
	p.noNul = p.utf8 && /NUL octet[^.]*replaced/.test(text);
	m = /Saturates at (\d+)/.exec(text);
	if (m)
		p.max = Number(m[1]);
	const syn = tc ? (mib[tc] || {}).SYNTAX : def.SYNTAX;
	if (syn && typeof syn === "object" && syn.BITS)
		p.bits = Object.keys(syn.BITS).map(Number);
	promiseCount += p.notServed.length + p.noEmpty + p.utf8 + p.noNul + (p.max !== null) + (p.bits !== null);
	return p;
}

// OID (string) -> { name, type, constraints, index: [constraints...], promises }
const objects = new Map();
const tables = new Map();	// entry OID -> table name
for (const p of providers) {
	if (p.type === snmp.MibProviderType.Scalar) {
		if (p.maxAccess >= 2)	// accessible-for-notify objects are not walked
			objects.set(p.oid, { name: p.name, type: p.scalarType, constraints: constraintsOf(p.name, p.constraints),
					     scalar: true, promises: promisesOf(p.name) });
		continue;
	}
	const byName = new Map(p.tableColumns.map((c) => [c.name, c]));
	const index = p.tableIndex.map((i) => {
		const c = byName.get(i.columnName) ||
			  // an index column of another table (vmIndex in vmCpuEntry)
			  providers.flatMap((q) => q.tableColumns || []).find((c2) => c2.name === i.columnName);
		return { name: i.columnName, constraints: constraintsOf(i.columnName, c.constraints), implied: i.implied };
	});
	tables.set(p.oid, { name: p.name, rows: new Set() });
	for (const c of p.tableColumns)
		if (c.maxAccess >= 2)
			objects.set(p.oid + "." + c.number, { name: c.name, type: c.type,
							     constraints: constraintsOf(c.name, c.constraints), index,
							     table: p.oid, promises: promisesOf(c.name) });
}
// the module's subtree: the module identity's OID (one arc above its
// objects' common prefix is enough for a walk of everything it serves)
const oids = [...objects.keys()].map((o) => o.split("."));
let prefix = oids[0].slice();
for (const o of oids)
	while (prefix.length && o.slice(0, prefix.length).join(".") !== prefix.join("."))
		prefix.pop();
const subtree = prefix.slice(0, -1).join(".");

function inRanges(v, ranges) {
	return ranges.some((r) => v >= r.min && v <= r.max);
}

function checkValue(obj, vb, where) {
	const c = obj.constraints;
	const p = obj.promises;

	// BITS travel as OCTET STRING
	const wireType = p.bits ? snmp.ObjectType.OctetString : obj.type;
	if (vb.type !== wireType) {
		fail(`${where}: type ${snmp.ObjectType[vb.type]}, the MIB says ${snmp.ObjectType[wireType]}`);
		return;
	}
	if (p.bits) {
		vb.value.forEach((octet, i) => {
			for (let b = 0; b < 8; b++)
				if (octet & (0x80 >> b) && !p.bits.includes(i * 8 + b))
					fail(`${where}: bit ${i * 8 + b} set, not one the MIB names`);
		});
		return;
	}
	if (c && c.enumeration && !(String(vb.value) in c.enumeration))
		fail(`${where}: ${vb.value} is none of ${Object.keys(c.enumeration).join(",")}`);
	if (c && c.ranges && !inRanges(vb.value, c.ranges))
		fail(`${where}: ${vb.value} out of range`);
	if (c && c.sizes && !inRanges(vb.value.length, c.sizes))
		fail(`${where}: length ${vb.value.length} out of range`);
	if (p.notServed.includes(Number(vb.value)))
		fail(`${where}: ${vb.value}, which the DESCRIPTION says is not served`);
	if (p.max !== null && Number(vb.value) > p.max)
		fail(`${where}: ${vb.value}, above the ${p.max} it saturates at`);
	if (Buffer.isBuffer(vb.value)) {
		if (p.noEmpty && vb.value.length === 0)
			fail(`${where}: the zero-length value, which the MIB says is never served`);
		if (p.utf8) {
			try {
				new TextDecoder("utf-8", { fatal: true }).decode(vb.value);
			} catch (e) {
				fail(`${where}: not UTF-8`);
			}
		}
		if (p.noNul && vb.value.includes(0))
			fail(`${where}: holds a NUL octet, which the MIB says is replaced`);
		if (p.uuid && vb.value.length === 16 &&
		    ((vb.value[6] >> 4) < 1 || (vb.value[6] >> 4) > 5))
			fail(`${where}: not an RFC 4122 UUID (version nibble ${vb.value[6] >> 4})`);
	}
}

// RFC 2578 7.7: an integer index is one sub-identifier; a string of
// fixed size (or IMPLIED) one per octet; any other string its length,
// then one per octet.
function checkIndex(obj, suffix, where) {
	let at = 0;
	for (const ix of obj.index) {
		const s = ix.constraints && ix.constraints.sizes;
		if (!s) {
			if (at >= suffix.length)
				break;
			if (ix.constraints && ix.constraints.ranges && !inRanges(suffix[at], ix.constraints.ranges))
				fail(`${where}: index ${ix.name} = ${suffix[at]} out of range`);
			at++;
			continue;
		}
		const fixed = s.length === 1 && s[0].min === s[0].max;
		let n;
		if (fixed)
			n = s[0].max;
		else if (ix.implied)
			n = suffix.length - at;
		else {
			n = suffix[at++];
			if (!inRanges(n, s))
				fail(`${where}: index ${ix.name} has length ${n}, the MIB allows ${JSON.stringify(s)}`);
		}
		at += n;
	}
	if (at !== suffix.length)
		fail(`${where}: ${suffix.length} index sub-ids, the MIB's INDEX takes ${at}`);
}

const session = snmp.createSession(host, "public", { port: Number(port), version: snmp.Version2c,
					    timeout: 5000, retries: 1 });
let instances = 0;
const seen = new Set();

function feed(varbinds) {
	for (const vb of varbinds) {
		if (snmp.isVarbindError(vb)) {
			fail(`${vb.oid}: ${snmp.varbindError(vb)}`);
			continue;
		}
		instances++;
		let match = null;
		for (const [oid, obj] of objects)
			if (vb.oid.startsWith(oid + ".") && (!match || oid.length > match[0].length))
				match = [oid, obj];
		if (!match) {
			fail(`${vb.oid}: no such object in ${moduleName}`);
			continue;
		}
		const [oid, obj] = match;
		const suffix = vb.oid.slice(oid.length + 1).split(".").map(Number);
		const where = `${obj.name}.${suffix.join(".")}`;
		seen.add(obj.name);
		if (obj.scalar) {
			if (suffix.length !== 1 || suffix[0] !== 0)
				fail(`${where}: a scalar's instance is .0`);
		} else {
			checkIndex(obj, suffix, where);
			tables.get(obj.table).rows.add(suffix.join("."));
		}
		checkValue(obj, vb, where);
	}
}

session.subtree(subtree, 20, feed, (error) => {
	session.close();
	if (error) {
		fail("walk: " + error.toString());
	} else {
		ok(`walked ${moduleName} (${subtree}): ${instances} instances`);
		if (fails === 0)
			ok(`every value has the type, range, size and enumeration of ${moduleName}, and keeps its DESCRIPTIONs' promises`);
	}
	for (const s of required)
		if (!seen.has(s))
			fail(`${s} not served`);
	console.log(`promises ${promiseCount}`);
	for (const t of tables.values())
		console.log(`rows ${t.name.replace(/Entry$/, "Table")} ${t.rows.size}`);
	console.log(`instances ${instances}`);
	process.exit(fails ? 1 : 0);
});
