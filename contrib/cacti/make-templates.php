<?php
/*
 * Builds xensnmp_templates.xml, the Cacti template package of the four
 * data queries: their data templates, graph templates and graph
 * associations, written into a Cacti 1.2 database with Cacti's own
 * functions (sql_save, the form defaults of include/global_form.php) and
 * exported with lib/export.php, as Templates -> Export does.  Run on a
 * Cacti with an empty set of xensnmp objects (tests/nms/test_cacti.sh
 * runs it on a fresh database and compares the result with the shipped
 * file):
 *   php make-templates.php CACTI_SITE_DIR [OUTPUT]
 * Every hash is derived from the object's role (md5 of "xensnmp/..."),
 * so a regenerated package keeps them: importing a new version updates
 * the objects in place instead of adding copies.
 */
if (!isset($argv[1])) {
	fwrite(STDERR, "usage: php make-templates.php CACTI_SITE_DIR [OUTPUT]\n");
	exit(2);
}
$queries_dir = __DIR__;
chdir($argv[1]);
include('./include/cli_check.php');
include_once('./lib/export.php');

function h($role) {
	return md5('xensnmp/' . $role);
}

function id_of($table, $hash) {
	$id = db_fetch_cell_prepared("SELECT id FROM $table WHERE hash = ?", array($hash));
	if (empty($id)) {
		fwrite(STDERR, "make-templates: no $table with hash $hash\n");
		exit(1);
	}
	return $id;
}

/* sql_save, given only the columns this Cacti's table has */
function save($row, $table) {
	$id = sql_save(array_intersect_key($row, db_get_table_column_types($table)), $table);
	if (empty($id)) {
		fwrite(STDERR, "make-templates: saving into $table failed\n");
		exit(1);
	}
	return $id;
}

/* a form's defaults, each with its template flag ("t_" + name) unset */
function defaults($struct) {
	$row = array();
	foreach ($struct as $name => $field) {
		$row['t_' . $name] = '';
		$row[$name] = isset($field['default']) ? $field['default'] : '';
	}
	return $row;
}

function color($hex) {
	$id = db_fetch_cell_prepared('SELECT id FROM colors WHERE hex = ?', array($hex));
	if (empty($id)) {
		fwrite(STDERR, "make-templates: no color $hex\n");
		exit(1);
	}
	return $id;
}

$indexed_snmp  = id_of('data_input', 'bf566c869ac6443b0c75d1c32b5a350e');	/* Get SNMP Data (Indexed) */
$profile       = id_of('data_source_profiles', 'd62c52891f4f9688729a5bc9fad91b18');	/* 5 Minute Collection */
$gprint        = id_of('graph_templates_gprint', 'e9c43831e54eca8069317a2ce8c6f751');	/* Normal */
$cdef_bits     = id_of('cdef', '73f95f8b77b5508157d64047342c421e');	/* Turn Bytes into Bits */
$cdef_kib      = id_of('cdef', '634a23af5e78af0964e8d33b1a4ed26b');	/* Multiply by 1024 */
$profile_row   = db_fetch_row_prepared('SELECT step, heartbeat FROM data_source_profiles WHERE id = ?', array($profile));

/* xdmDomainCpuTime counts nanoseconds: its rate / 10^7 is percent of one CPU */
$cdef_cpu = save(array('id' => 0, 'hash' => h('cdef/ns-to-percent'), 'system' => 0,
	'name' => 'Xen - Nanoseconds per second to percent of a CPU'), 'cdef');
save(array('id' => 0, 'hash' => h('cdef/ns-to-percent/1'), 'cdef_id' => $cdef_cpu, 'sequence' => 1,
	'type' => CVDEF_ITEM_TYPE_STRING, 'value' => 'CURRENT_DATA_SOURCE,10000000,/'), 'cdef_items');

/*
 * One graph per data query row.  Counters are DERIVE with minimum 0: a
 * counter that starts again (a guest rebooted, a row moved by a reindex)
 * leaves a gap instead of the spike a COUNTER's wrap would draw.
 */
$graphs = array(
	array(
		'query' => 'xensnmp_domains', 'key' => 'xdmDomainName', 'role' => 'domain-cpu',
		'data_template' => 'Xen domain - CPU time', 'graph_template' => 'Xen domain - CPU time',
		'title' => 'CPU time', 'label' => 'percent of one CPU', 'base' => 1000,
		'ds' => array(
			array('name' => 'cpu_time', 'field' => 'xdmDomainCpuTime', 'type' => 3, 'text' => 'CPU',
				'color' => '00CF00', 'cdef' => $cdef_cpu, 'item' => GRAPH_ITEM_TYPE_AREA),
		),
	),
	array(
		'query' => 'xensnmp_domains', 'key' => 'xdmDomainName', 'role' => 'domain-memory',
		'data_template' => 'Xen domain - Memory', 'graph_template' => 'Xen domain - Memory',
		'title' => 'Memory', 'label' => 'bytes', 'base' => 1024,
		'ds' => array(
			array('name' => 'mem_current', 'field' => 'xdmDomainMemCurrent', 'type' => 1, 'text' => 'Current',
				'color' => '00CF00', 'cdef' => $cdef_kib, 'item' => GRAPH_ITEM_TYPE_AREA),
			array('name' => 'mem_target', 'field' => 'xdmDomainMemTarget', 'type' => 1, 'text' => 'Target',
				'color' => '002A97', 'cdef' => $cdef_kib, 'item' => GRAPH_ITEM_TYPE_LINE2),
		),
	),
	array(
		'query' => 'xensnmp_vifs', 'key' => 'xdmVifMac', 'role' => 'vif-traffic',
		'data_template' => 'Xen VIF - Traffic', 'graph_template' => 'Xen VIF - Traffic (bits/sec)',
		'title' => 'Traffic', 'label' => 'bits per second', 'base' => 1000,
		'ds' => array(
			array('name' => 'rx_bytes', 'field' => 'xdmVifRxBytes', 'type' => 3, 'text' => 'Received by the guest',
				'color' => '00CF00', 'cdef' => $cdef_bits, 'item' => GRAPH_ITEM_TYPE_AREA),
			array('name' => 'tx_bytes', 'field' => 'xdmVifTxBytes', 'type' => 3, 'text' => 'Sent by the guest',
				'color' => '002A97', 'cdef' => $cdef_bits, 'item' => GRAPH_ITEM_TYPE_LINE1),
		),
	),
	array(
		'query' => 'xensnmp_vbds', 'key' => 'xdmVbdParams', 'role' => 'vbd-io',
		'data_template' => 'Xen VBD - I/O', 'graph_template' => 'Xen VBD - I/O (bytes/sec)',
		'title' => 'I/O', 'label' => 'bytes per second', 'base' => 1024,
		'ds' => array(
			array('name' => 'rd_bytes', 'field' => 'xdmVbdRdBytes', 'type' => 3, 'text' => 'Read',
				'color' => '00CF00', 'cdef' => 0, 'item' => GRAPH_ITEM_TYPE_AREA),
			array('name' => 'wr_bytes', 'field' => 'xdmVbdWrBytes', 'type' => 3, 'text' => 'Written',
				'color' => 'FF0000', 'cdef' => 0, 'item' => GRAPH_ITEM_TYPE_LINE1),
		),
	),
);

/* the data queries, as Data Queries -> Add stores them */
$queries = array();
foreach (array('xensnmp_domains', 'xensnmp_vcpus', 'xensnmp_vifs', 'xensnmp_vbds') as $q) {
	$xml = simplexml_load_file("$queries_dir/$q.xml");
	$queries[$q] = save(array('id' => 0, 'hash' => h("data_query/$q"),
		'xml_path' => "<path_cacti>/resource/snmp_queries/$q.xml",
		'name' => (string) $xml->name, 'description' => (string) $xml->description,
		'data_input_id' => $indexed_snmp), 'snmp_query');
}

$input_fields = db_fetch_assoc_prepared("SELECT id, type_code FROM data_input_fields
	WHERE data_input_id = ? AND input_output = 'in' ORDER BY id", array($indexed_snmp));

foreach ($graphs as $g) {
	$role = $g['role'];
	$name_text = '|host_description| - |query_' . $g['key'] . '| - ' . $g['title'];

	/* data template: data_template, its data_template_data and items */
	$dt = save(array('id' => 0, 'hash' => h("data_template/$role"), 'name' => $g['data_template']), 'data_template');
	$dtd = array_merge(defaults($GLOBALS['struct_data_source']), array('id' => 0,
		'local_data_template_data_id' => 0, 'local_data_id' => 0, 'data_template_id' => $dt,
		'data_input_id' => $indexed_snmp, 'name' => $name_text, 'data_source_path' => '',
		'active' => 'on', 'rrd_step' => $profile_row['step'], 'data_source_profile_id' => $profile));
	$dtd = save($dtd, 'data_template_data');
	/* the row's index and output type come from the data query, per data source */
	foreach ($input_fields as $f) {
		db_execute_prepared('INSERT INTO data_input_data (data_input_field_id, data_template_data_id, t_value, value)
			VALUES (?, ?, ?, ?)', array($f['id'], $dtd,
			in_array($f['type_code'], array('index_type', 'index_value', 'output_type')) ? 'on' : '', ''));
	}
	$rrd = array();
	foreach ($g['ds'] as $i => $ds) {
		$item = array_merge(defaults($GLOBALS['struct_data_source_item']), array('id' => 0,
			'hash' => h("data_template/$role/" . $ds['name']), 'local_data_template_rrd_id' => 0,
			'local_data_id' => 0, 'data_template_id' => $dt, 'data_source_name' => $ds['name'],
			'rrd_minimum' => '0', 'rrd_maximum' => 'U', 'data_source_type_id' => $ds['type'],
			'rrd_heartbeat' => $profile_row['heartbeat'], 'data_input_field_id' => 0));
		$rrd[$i] = save($item, 'data_template_rrd');
	}

	/* graph template: graph_templates, graph_templates_graph, items and inputs */
	$gt = save(array('id' => 0, 'hash' => h("graph_template/$role"), 'name' => $g['graph_template'],
		'multiple' => ''), 'graph_templates');
	$graph = array_merge(defaults($GLOBALS['struct_graph']), array('id' => 0,
		'local_graph_template_graph_id' => 0, 'local_graph_id' => 0, 'graph_template_id' => $gt,
		'title' => $name_text, 'vertical_label' => $g['label'], 'base_value' => $g['base'],
		'auto_scale_rigid' => '', 'upper_limit' => '100', 'lower_limit' => '0'));
	save($graph, 'graph_templates_graph');
	$seq = 1;
	foreach ($g['ds'] as $i => $ds) {
		$members = array();
		$lines = array(
			array($ds['item'], $ds['text'], 1, ''),
			array(GRAPH_ITEM_TYPE_GPRINT_LAST, 'Current:', 4, ''),
			array(GRAPH_ITEM_TYPE_GPRINT_AVERAGE, 'Average:', 1, ''),
			array(GRAPH_ITEM_TYPE_GPRINT_MAX, 'Maximum:', 3, 'on'),
		);
		foreach ($lines as $n => $l) {
			$item = array_merge(defaults($GLOBALS['struct_graph_item']), array('id' => 0,
				'hash' => h("graph_template/$role/" . $ds['name'] . "/$n"),
				'local_graph_template_item_id' => 0, 'local_graph_id' => 0, 'graph_template_id' => $gt,
				'task_item_id' => $rrd[$i], 'color_id' => ($n == 0 ? color($ds['color']) : 0), 'alpha' => 'FF',
				'graph_type_id' => $l[0], 'text_format' => $l[1], 'consolidation_function_id' => $l[2],
				'hard_return' => $l[3], 'cdef_id' => $ds['cdef'], 'vdef_id' => 0, 'gprint_id' => $gprint,
				'line_width' => ($l[0] == GRAPH_ITEM_TYPE_LINE2 ? '2.00' : ($l[0] == GRAPH_ITEM_TYPE_LINE1 ? '1.00' : '0.00')),
				'sequence' => $seq++));
			$members[] = save($item, 'graph_templates_item');
		}
		/* the input the console shows for choosing each item's data source */
		$input = save(array('id' => 0, 'hash' => h("graph_template/$role/" . $ds['name'] . '/input'),
			'graph_template_id' => $gt, 'name' => $ds['text'] . ' Data Source', 'description' => '',
			'column_name' => 'task_item_id'), 'graph_template_input');
		foreach ($members as $m) {
			db_execute_prepared('INSERT INTO graph_template_input_defs (graph_template_input_id, graph_template_item_id)
				VALUES (?, ?)', array($input, $m));
		}
	}

	/* the data query's association: which output field feeds which data source */
	$qg = save(array('id' => 0, 'hash' => h("data_query/" . $g['query'] . "/$role"),
		'snmp_query_id' => $queries[$g['query']], 'name' => $g['graph_template'],
		'graph_template_id' => $gt), 'snmp_query_graph');
	foreach ($g['ds'] as $i => $ds) {
		db_execute_prepared('INSERT INTO snmp_query_graph_rrd (snmp_query_graph_id, data_template_id,
			data_template_rrd_id, snmp_field_name) VALUES (?, ?, ?, ?)', array($qg, $dt, $rrd[$i], $ds['field']));
	}
	save(array('id' => 0, 'hash' => h("data_query/" . $g['query'] . "/$role/title"), 'snmp_query_graph_id' => $qg,
		'sequence' => 1, 'field_name' => 'title', 'text' => $name_text), 'snmp_query_graph_sv');
	save(array('id' => 0, 'hash' => h("data_query/" . $g['query'] . "/$role/name"), 'snmp_query_graph_id' => $qg,
		'data_template_id' => $dt, 'sequence' => 1, 'field_name' => 'name', 'text' => $name_text),
		'snmp_query_graph_rrd_sv');
}

/* Templates -> Export's get_item_xml(), over the four data queries at once */
$deps = array();
foreach ($queries as $id) {
	$deps = resolve_dependencies('data_query', $id, $deps);
}
$xml = '';
foreach ($deps as $type => $ids) {
	foreach ($ids as $id) {
		switch ($type) {
		case 'graph_template':      $xml .= "\n" . graph_template_to_xml($id); break;
		case 'data_template':       $xml .= "\n" . data_template_to_xml($id); break;
		case 'data_input_method':   $xml .= "\n" . data_input_method_to_xml($id); break;
		case 'data_query':          $xml .= "\n" . data_query_to_xml($id); break;
		case 'gprint_preset':       $xml .= "\n" . gprint_preset_to_xml($id); break;
		case 'cdef':                $xml .= "\n" . cdef_to_xml($id); break;
		case 'vdef':                $xml .= "\n" . vdef_to_xml($id); break;
		case 'data_source_profile': $xml .= "\n" . data_source_profile_to_xml($id); break;
		default:
			fwrite(STDERR, "make-templates: unexpected dependency $type\n");
			exit(1);
		}
	}
}
if (!empty($export_errors)) {
	fwrite(STDERR, "make-templates: the export reported $export_errors errors\n");
	exit(1);
}
$out = '<cacti>';
foreach (explode("\n", $xml) as $line) {
	$out .= "\t" . $line . "\n";
}
$out .= "</cacti>\n";
if (isset($argv[2])) {
	file_put_contents($argv[2], $out);
} else {
	print $out;
}
